export { DatasetCatalog, sha256Hex, type DatasetInfo, type UploadedDatasets, type CatalogOptions } from './catalog.ts';
export { DatasetError } from './errors.ts';
export { loadTimeMachine, TIMEMACHINE_SHA1, TIMEMACHINE_URL, type FetchLike } from './timemachine.ts';
