/** A wrong environment variable (not a run's config: that is the spec's ConfigError); the message names it. */
export class EnvError extends Error {
  override name = 'EnvError';
}
