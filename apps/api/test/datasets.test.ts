import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp({ MAX_DATASET_BYTES: '4096' }); });
afterAll(async () => { await t.close(); });

describe('datasets', () => {
  it('lists the built-ins first, timemachine at the top', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/datasets' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.slice(0, 2).map((d: { id: string }) => d.id)).toEqual(['timemachine', 'moby-dick']);
    expect((await t.app.inject({ method: 'GET', url: '/v1/datasets/timemachine' })).json()).toMatchObject({ id: 'timemachine', builtin: true });
  });

  it('accepts JSON and text/plain uploads, returning size and sha256', async () => {
    const json = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'poem', text: 'the quick brown fox' } });
    expect(json.statusCode).toBe(201);
    expect(json.json()).toMatchObject({ name: 'poem', chars: 19, builtin: false, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const plain = await t.app.inject({
      method: 'POST', url: '/v1/datasets?name=plain', payload: '<script>alert(1)</script>', headers: { 'content-type': 'text/plain' },
    });
    expect(plain.statusCode).toBe(201);
    const got = await t.app.inject({ method: 'GET', url: `/v1/datasets/${plain.json().id}` });
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.json().name).toBe('plain');
    const listed = (await t.app.inject({ method: 'GET', url: '/v1/datasets' })).json().items.map((d: { id: string }) => d.id);
    expect(listed).toContain(json.json().id);
  });

  it('refuses uploads over the limit with 413, before buffering, and bad uploads with 400', async () => {
    const big = await t.app.inject({ method: 'POST', url: '/v1/datasets?name=big', payload: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    const noName = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: 'abc', headers: { 'content-type': 'text/plain' } });
    expect(noName.statusCode).toBe(400);
    expect(noName.json().message).toBe('querystring/name is required for a text/plain upload');
    const empty = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'e', text: '' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toBe('body/text must NOT have fewer than 1 characters');
  });
});
