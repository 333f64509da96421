export { DatasetCatalog, sha256Hex, type DatasetInfo, type UploadedDatasets, type CatalogOptions } from './catalog.ts';
export { DatasetError } from './errors.ts';
export {
  BUNDLED_DATA_DIR, loadTimeMachine, TIMEMACHINE_PATH, TIMEMACHINE_SHA1, TIMEMACHINE_URL, type FetchLike, type LoadOptions,
} from './timemachine.ts';
