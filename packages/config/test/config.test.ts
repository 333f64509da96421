import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientEnvSchema, EnvError, EnvSchema, loadClientEnv, loadConfig } from '../src/index.ts';

describe('loadConfig', () => {
  it('fills every default from docs/api.md', () => {
    const c = loadConfig({});
    expect(c.env.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/rnnlab');
    expect(c.env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.env.HOST).toBe('127.0.0.1');
    expect(c.env.PORT).toBe(3000);
    expect(c.env.TFJS_BACKEND).toBe('auto');
    expect(c.env.TRAIN_ENGINE).toBe('auto');
    expect(c.env.WORKER_CONCURRENCY).toBe(1);
    expect(c.apiKeys).toEqual([]);
    expect(Object.isFrozen(c.env)).toBe(true);
  });

  it('parses integers and key lists', () => {
    const c = loadConfig({ PORT: '8080', API_KEYS: ' a, b ,,', WORKER_CONCURRENCY: '3' });
    expect(c.env.PORT).toBe(8080);
    expect(c.apiKeys).toEqual(['a', 'b']);
    expect(c.env.WORKER_CONCURRENCY).toBe(3);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: '30o0' })).toThrow(EnvError);
    expect(() => loadConfig({ PORT: '30o0' })).toThrow(/PORT/);
    expect(() => loadConfig({ TFJS_BACKEND: 'cuda' })).toThrow(/TFJS_BACKEND/);
    expect(() => loadConfig({ TRAIN_ENGINE: 'blas' })).toThrow(/TRAIN_ENGINE/);
    expect(() => loadConfig({ WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY must be >= 1/);
  });

  it('is documented: every variable appears in .env.example and README.md', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const key of [...Object.keys(EnvSchema.properties), ...Object.keys(ClientEnvSchema.properties)]) {
      expect(example, `.env.example lists ${key}`).toMatch(new RegExp(`^#?\\s*${key}=`, 'm'));
      expect(readme, `README lists ${key}`).toContain(`\`${key}\``);
    }
  });
});

describe('loadClientEnv', () => {
  it('defaults to the local API with no key, and names a wrong variable', () => {
    expect(loadClientEnv({})).toEqual({ RNNLAB_URL: 'http://127.0.0.1:3000', RNNLAB_API_KEY: '' });
    expect(loadClientEnv({ RNNLAB_URL: 'https://rnnlab.example', RNNLAB_API_KEY: 'k' })).toMatchObject({ RNNLAB_URL: 'https://rnnlab.example', RNNLAB_API_KEY: 'k' });
    expect(() => loadClientEnv({ RNNLAB_URL: 'localhost:3000' })).toThrow(EnvError);
    expect(() => loadClientEnv({ RNNLAB_URL: 'localhost:3000' })).toThrow(/RNNLAB_URL/);
  });
});
