/** The dataset is missing, unreachable or fails verification: retrying will not help. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(message: string, readonly code: 'not_found' | 'unavailable' | 'corrupt') {
    super(message);
  }
}
