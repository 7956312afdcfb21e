"""The comparison for ci/bench: a straightforward DuckDB script doing the same work as
`baseline run` up to the gaps: read every return (JSON, CSV, XLSX) and inventory of the
period, derive the device measures, evaluate the twelve standards and count the national
gaps. It skips what Baseline does beyond that (validation issues, quarantine, reports), so
it is a floor for the query work, not a like-for-like product."""
import glob, json, os, sys
import duckdb, openpyxl

root = sys.argv[1]
period, end = "2026-10", "2026-10-31"
con = duckdb.connect()
rows = []
for path in glob.glob(f"{root}/landing/{period}/*_return.*"):
    ext = path.rsplit(".", 1)[1]
    try:
        if ext == "json":
            doc = json.load(open(path))
            rows += [(doc["org_code"], k, str(v)) for k, v in doc.get("measures", {}).items()]
        elif ext == "xlsx":
            ws = openpyxl.load_workbook(path, read_only=True)["Return"]
            rows += [(r[0], r[3], str(r[4])) for r in ws.iter_rows(min_row=2, values_only=True)]
    except Exception:
        pass
con.execute("create table measures(org_code varchar, measure varchar, value varchar)")
con.executemany("insert into measures values (?, ?, ?)", rows)
con.execute(f"""insert into measures select org_code, measure, value::varchar
    from read_csv('{root}/landing/{period}/*_return.csv', all_varchar=true, ignore_errors=true)""")
con.execute(f"""create table devices as select split_part(split_part(filename, '/', -1), '_', 1) as org_code, *
    from read_csv('{root}/landing/{period}/*_inventory.csv', filename=true, all_varchar=true)""")
con.execute("""create table lifecycle as select * from (values
    ('windows','xp','2014-04-08'),('windows','7','2020-01-14'),('windows','10 22h2','2025-10-14'),
    ('windows','11 23h2 enterprise','2026-11-10'),('windows','11 24h2 enterprise','2027-10-12'),
    ('windows server','2012 r2','2023-10-10'),('windows server','2019','2029-01-09'),
    ('windows server','2022','2031-10-14'),('ubuntu','22.04','2027-04-30'),('rhel','8','2029-05-31'))
    t(os_name, os_version, eos)""")
con.execute(f"""create table derived as select d.org_code,
    count(*) filter (where device_class in ('endpoint','server')) as endpoints_total,
    count(*) filter (where device_class in ('endpoint','server') and (oldest_missing_critical_patch_released_on is null
        or oldest_missing_critical_patch_released_on::date > date '{end}' - 14)) as endpoints_critical_patched_14d,
    count(*) filter (where device_class in ('endpoint','server') and (l.eos is null or l.eos::date <= date '{end}')) as endpoints_unsupported_os,
    count(*) filter (where device_class in ('endpoint','server') and antimalware_signatures_updated_on::date >= date '{end}' - 7) as endpoints_antimalware_current
    from devices d left join lifecycle l on lower(trim(d.os_name)) = l.os_name and lower(trim(d.os_version)) = l.os_version
    group by d.org_code""")
con.execute("""create table wide as pivot (select org_code, measure, try_cast(replace(value, ',', '') as double) as v
    from measures where measure not like '%\\_on' escape '\\') on measure using first(v) group by org_code""")
result = con.execute("""select
    count(*) filter (where coalesce(d.endpoints_critical_patched_14d, w.endpoints_critical_patched_14d)
        / coalesce(d.endpoints_total, w.endpoints_total) >= 0.95) as patch_met,
    count(*) filter (where coalesce(d.endpoints_unsupported_os, w.endpoints_unsupported_os)
        / coalesce(d.endpoints_total, w.endpoints_total) <= 0.01) as unsupported_met,
    count(*) filter (where w.staff_trained_12m / w.staff_total >= 0.95) as training_met,
    count(*) as orgs
    from wide w left join derived d using (org_code)""").fetchone()
print(f"orgs {result[3]}, PATCH-14D met {result[0]}, UNSUPPORTED-OS met {result[1]}, STAFF-TRAINING met {result[2]}")
