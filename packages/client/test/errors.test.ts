// Errors carry the field the API named, from a `field` member or from the message.
import { describe, expect, it } from 'vitest';
import { apiErrorFrom, parseField } from '../src/index.ts';

const response = (status: number, statusText = '') => new Response(null, { status, statusText, headers: { 'x-request-id': 'r-1' } });

describe('apiErrorFrom', () => {
  it('reads the field from the message of the envelope', () => {
    const e = apiErrorFrom(response(400), { statusCode: 400, error: 'Bad Request', message: 'body/training/epochs must be <= 100000' });
    expect(e).toMatchObject({ status: 400, error: 'Bad Request', message: 'body/training/epochs must be <= 100000', field: 'training.epochs', location: 'body', requestId: 'r-1' });
    expect(apiErrorFrom(response(400), { message: 'querystring/limit must be <= 100' })).toMatchObject({ field: 'limit', location: 'querystring' });
  });

  it('prefers a field member, in either spelling, and has none when nothing is named', () => {
    expect(apiErrorFrom(response(400), { message: 'too long', field: 'body/model/hiddenSize' })).toMatchObject({ field: 'model.hiddenSize', location: 'body' });
    expect(apiErrorFrom(response(400), { message: 'too long', field: 'prefix' })).toMatchObject({ field: 'prefix', location: null });
    expect(apiErrorFrom(response(409), { statusCode: 409, error: 'Conflict', message: 'job x has already finished' })).toMatchObject({ field: null, location: null });
  });

  it('copes with bodies that are not the envelope', () => {
    expect(apiErrorFrom(response(502, 'Bad Gateway'), '<html>bad gateway</html>')).toMatchObject({ status: 502, error: 'Bad Gateway', message: '<html>bad gateway</html>' });
    expect(apiErrorFrom(response(500, 'Internal Server Error'), undefined)).toMatchObject({ message: 'HTTP 500 Internal Server Error', field: null });
  });

  it('parses both spellings of a field', () => {
    expect(parseField('body/training/epochs')).toEqual({ field: 'training.epochs', location: 'body' });
    expect(parseField('training.epochs')).toEqual({ field: 'training.epochs', location: null });
  });
});
