// Creates a blob container in Azurite (object_store cannot create containers), using the
// emulator's well-known development account. Usage: node ci/azure-container.js NAME
const { BlobServiceClient, StorageSharedKeyCredential } = require("@azure/storage-blob");

const account = "devstoreaccount1";
const key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const url = `${process.env.AZURITE_BLOB_STORAGE_URL}/${account}`;
const client = new BlobServiceClient(url, new StorageSharedKeyCredential(account, key));

client
  .getContainerClient(process.argv[2])
  .createIfNotExists()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
