"""The peer for ci/bench: the same monthly job written as a data engineer would write it with
DuckDB, its own readers over globs of the whole period at once.

    python bench_duckdb.py LANDING_ROOT REFERENCE_CSV SCHEMAS OUT [PERIOD]

- returns: read_json over every *_return.json, read_csv over every *_return.csv; XLSX
  returns with python-calamine in a process pool (DuckDB's excel extension cannot be
  downloaded here), all into one long table (org_code, measure, value);
- inventories: one read_csv over every *_inventory.csv, typed, the device flags and the
  derived measures in SQL, from the dictionary's own `derive` conditions;
- assessment: the catalogue's own value expressions, thresholds and applicability, compiled
  to one SQL query (they are SQL already), then the status rules;
- outputs: outcomes, org_status and gaps as Parquet and CSV.

It does the work Baseline does up to the gaps, from the same schemas; it skips what Baseline
does beyond that (per-value validation issues, quarantine, reports, plans, OSCAL). Its outcome
and status counts are printed as JSON on the last line so that ci/bench can check they agree
with Baseline's.
"""
import calendar, csv, json, os, re, sys, time, tomllib
from concurrent.futures import ProcessPoolExecutor

import duckdb
from python_calamine import CalamineWorkbook

landing, reference, schemas, out = sys.argv[1:5]
period = sys.argv[5] if len(sys.argv) > 5 else "2026-10"
year, month = map(int, period.split("-"))
period_end = f"{period}-{calendar.monthrange(year, month)[1]:02d}"
files = f"{landing}/{period}"
dictionary = tomllib.load(open(f"{schemas}/dictionary.toml", "rb"))
catalogue = tomllib.load(open(f"{schemas}/standards/mcs-2026.toml", "rb"))
measures = {m["name"]: m for m in dictionary["measure"]}
groups = dictionary["org_types"]["groups"]
inventory = dictionary["inventory"]
laps = {}


def lap(name, start=[time.perf_counter()]):
    now = time.perf_counter()
    laps[name] = round(now - start[0], 3)
    start[0] = now


def xlsx_rows(path):
    """(org_code, measure, value) of one workbook's Return sheet."""
    try:
        sheet = CalamineWorkbook.from_path(path).get_sheet_by_name("Return").to_python()
    except Exception:
        return []
    head = sheet[0]
    at = {name: head.index(name) for name in ("org_code", "measure", "value")}
    return [(str(r[at["org_code"]]), str(r[at["measure"]]), str(r[at["value"]])) for r in sheet[1:]]


def typed(name):
    """A measure's column as the standards read it: numbers, booleans, dates as day numbers."""
    v = f"r.{name}"
    kind = measures[name]["type"]
    if kind in ("count", "money"):
        return f"TRY_CAST(replace({v}, ',', '') AS DOUBLE)"
    if kind == "bool":
        return f"CASE lower(trim({v})) WHEN 'yes' THEN true WHEN 'no' THEN false END"
    return f"(TRY_CAST(left({v}, 10) AS DATE) - DATE '1970-01-01')"


def inputs(expression):
    return [name for name in measures if re.search(rf"\b{name}\b", expression)]


def outcome_sql(s):
    """One standard's outcome as a CASE over the wide table."""
    types = ", ".join(f"'{t}'" for t in groups[s["applies_to"]])
    needed = inputs(s["value"] + " " + s.get("requires", ""))
    missing = " OR ".join(f"{n} IS NULL" for n in needed) or "false"
    value = f"({s['value']})"
    rule = {"at_least": ">=", "at_most": "<="}.get(s["rule"])
    cases = [f"WHEN org_type NOT IN ({types}) THEN 'not_applicable'", f"WHEN {missing} THEN 'not_assessed'"]
    if "requires" in s:
        cases.append(f"WHEN NOT ({s['requires']}) THEN 'not_met'")
    if rule is None:
        cases.append(f"WHEN {value} THEN 'met'")
    else:
        cases.append(f"WHEN {value} {rule} {s['met']} THEN 'met'")
        if "partially_met" in s:
            cases.append(f"WHEN {value} {rule} {s['partially_met']} THEN 'partially_met'")
    return f"CASE {' '.join(cases)} ELSE 'not_met' END"


def value_sql(s):
    return f"CASE WHEN org_type IN ({', '.join(repr(t) for t in groups[s['applies_to']])}) THEN CAST(({s['value']}) AS DOUBLE) END"


con = duckdb.connect()
con.execute(f"SET threads = {os.cpu_count()}")
# Returns: JSON and CSV by DuckDB's readers, XLSX in a process pool, at the same time.
with ProcessPoolExecutor() as pool:
    xlsx = pool.map(xlsx_rows, [f"{files}/{f}" for f in os.listdir(files) if f.endswith("_return.xlsx")], chunksize=64)
    con.execute(f"""CREATE TABLE measures AS
        SELECT org_code, unnest(map_keys(measures)) AS measure, unnest(map_values(measures)) AS value
        FROM read_json('{files}/*_return.json', columns={{'org_code': 'VARCHAR', 'measures': 'MAP(VARCHAR, VARCHAR)'}}, ignore_errors=true)
        UNION ALL
        SELECT org_code, measure, value FROM read_csv('{files}/*_return.csv', header=true, ignore_errors=true,
            columns={{'org_code': 'VARCHAR', 'period': 'VARCHAR', 'submitted_at': 'VARCHAR', 'measure': 'VARCHAR', 'value': 'VARCHAR', 'comment': 'VARCHAR'}})""")
    rows = [row for rows in xlsx for row in rows]
if rows:
    # Handed over as one CSV: binding Python lists row by row costs 19 s for 36,000 rows.
    os.makedirs(out, exist_ok=True)
    staged = os.path.join(out, "xlsx-measures.csv")
    with open(staged, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    con.execute(f"INSERT INTO measures SELECT * FROM read_csv('{staged}', header=false, all_varchar=true)")
    os.remove(staged)
lap("returns")

# Inventories: one reader over every file, the flags and the derived measures in SQL.
roles = inventory["roles"]
types = {c: "VARCHAR" for c in inventory["columns"]}
types[roles["patch_date"]] = types[roles["antimalware_date"]] = "DATE"
families = " ".join(f"WHEN '{c}' THEN '{f}'" for c, f in inventory["device_classes"].items())
key = lambda c: f"lower(regexp_replace(trim({c}), '\\s+', ' ', 'g'))"
con.execute(f"""CREATE TABLE lifecycle AS SELECT {key('os_name')} AS name_key, {key('os_version')} AS version_key,
    CAST(end_of_support AS DATE) AS eos FROM read_csv('{schemas}/os-lifecycle.csv', all_varchar=true)""")
derived = ", ".join(f"count(*) FILTER (WHERE {m['derive']}) AS {n}" for n, m in measures.items() if "derive" in m)
con.execute(f"""CREATE TABLE derived AS
    WITH devices AS (
        SELECT split_part(parse_filename(filename), '_', 1) AS org_code,
            CASE {roles['device_class']} {families} ELSE 'none' END AS family, *
        FROM read_csv('{files}/*_inventory.csv', filename=true, header=true, columns={types})),
    pairs AS (
        SELECT DISTINCT {roles['os_name']} AS os_name, {roles['os_version']} AS os_version FROM devices),
    known AS (
        SELECT p.os_name, p.os_version, l.eos FROM pairs p
        LEFT JOIN lifecycle l ON {key('p.os_name')} = l.name_key AND {key('p.os_version')} = l.version_key),
    flagged AS (
        SELECT d.org_code, d.family,
            k.eos IS NULL OR k.eos <= DATE '{period_end}' AS unsupported,
            {roles['patch_date']} IS NULL OR {roles['patch_date']} > DATE '{period_end}' - {inventory['patch_window_days']} AS patched,
            coalesce({roles['antimalware_date']} >= DATE '{period_end}' - {inventory['antimalware_window_days']}, false) AS antimalware_current,
            coalesce({roles['network_zone']} = '{inventory['isolated_zone']}', false) AS isolated
        FROM devices d LEFT JOIN known k
          ON d.{roles['os_name']} IS NOT DISTINCT FROM k.os_name AND d.{roles['os_version']} IS NOT DISTINCT FROM k.os_version
        WHERE d.family <> 'none')
    SELECT org_code, {derived} FROM flagged GROUP BY org_code""")
lap("inventories")

# One row per organisation with an accepted return, one typed column per measure (derived
# where an inventory came), then every standard's outcome and value.
pivot = ", ".join(f"max(value) FILTER (WHERE measure = '{n}') AS {n}" for n in measures)
wide = ", ".join(
    (f"CASE WHEN d.org_code IS NOT NULL THEN d.{n} ELSE {typed(n)} END AS {n}" if "derive" in measures[n] else f"{typed(n)} AS {n}")
    for n in measures)
standards = catalogue["standard"]
con.execute(f"""CREATE TABLE wide AS
    WITH r AS (SELECT org_code, {pivot} FROM measures GROUP BY org_code)
    SELECT o.org_code, o.org_type, o.region_code, DATE '{period_end}' - DATE '1970-01-01' AS period_end, {wide}
    FROM r JOIN read_csv('{reference}', all_varchar=true) o ON upper(r.org_code) = upper(o.org_code)
    LEFT JOIN derived d ON d.org_code = r.org_code""")
union = " UNION ALL ".join(
    f"SELECT org_code, org_type, region_code, '{s['id']}' AS standard_id, {i} AS position, {outcome_sql(s)} AS outcome, "
    f"{value_sql(s)} AS value, {str(s['critical']).lower()} AS critical FROM wide"
    for i, s in enumerate(standards))
con.execute(f"CREATE TABLE outcomes AS {union}")
limit = catalogue["status"]["not_met_limit"]
con.execute(f"""CREATE TABLE org_status AS
    WITH counted AS (
        SELECT org_code,
            count(*) FILTER (WHERE outcome = 'met') AS met,
            count(*) FILTER (WHERE outcome = 'partially_met') AS partially_met,
            count(*) FILTER (WHERE outcome = 'not_met') AS not_met,
            count(*) FILTER (WHERE outcome = 'not_assessed') AS not_assessed,
            count(*) FILTER (WHERE outcome = 'not_applicable') AS not_applicable,
            bool_or(critical AND outcome IN ('not_met', 'not_assessed')) AS critical_gap
        FROM outcomes GROUP BY org_code)
    SELECT o.org_code, o.org_name, o.org_type, o.region_code,
        CASE WHEN c.org_code IS NULL THEN 'not_submitted'
             WHEN c.critical_gap OR c.not_met + c.not_assessed >= {limit} THEN 'standards_not_met'
             WHEN c.partially_met + c.not_met + c.not_assessed = 0 THEN 'standards_met'
             ELSE 'approaching_standards' END AS status,
        coalesce(met, 0) AS met, coalesce(partially_met, 0) AS partially_met, coalesce(not_met, 0) AS not_met,
        coalesce(not_assessed, 0) AS not_assessed, coalesce(not_applicable, 0) AS not_applicable
    FROM read_csv('{reference}', all_varchar=true) o LEFT JOIN counted c ON upper(c.org_code) = upper(o.org_code)""")
con.execute("""CREATE TABLE gaps AS
    SELECT standard_id, CASE WHEN GROUPING(region_code) = 0 THEN 'region' WHEN GROUPING(org_type) = 0 THEN 'org_type' ELSE 'national' END AS level,
        coalesce(region_code, org_type, 'ENG') AS group_code,
        count(*) FILTER (WHERE outcome = 'met') AS met, count(*) FILTER (WHERE outcome = 'partially_met') AS partially_met,
        count(*) FILTER (WHERE outcome = 'not_met') AS not_met, count(*) FILTER (WHERE outcome = 'not_assessed') AS not_assessed,
        count(*) FILTER (WHERE outcome = 'not_applicable') AS not_applicable,
        round(100.0 * count(*) FILTER (WHERE outcome = 'met') / nullif(count(*) FILTER (WHERE outcome <> 'not_applicable'), 0), 1) AS pct_met
    FROM outcomes GROUP BY GROUPING SETS ((standard_id), (standard_id, region_code), (standard_id, org_type))""")
lap("assess")

os.makedirs(out, exist_ok=True)
for table in ("outcomes", "org_status", "gaps"):
    con.execute(f"COPY {table} TO '{out}/{table}.parquet' (FORMAT parquet)")
    con.execute(f"COPY {table} TO '{out}/{table}.csv' (HEADER)")
lap("write")

outcomes = dict(con.execute("SELECT outcome, count(*) FROM outcomes GROUP BY ALL").fetchall())
statuses = dict(con.execute("SELECT status, count(*) FROM org_status GROUP BY ALL").fetchall())
print(json.dumps({"seconds": laps, "outcomes": outcomes, "statuses": statuses}, sort_keys=True))
