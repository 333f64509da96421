import { Type, type Static } from 'typebox';
import { Nullable, Strict } from './common.ts';
import { CheckpointSelector } from './export.ts';

export const GenerateRequest = Strict({
  prefix: Type.String({ minLength: 1, maxLength: 1000 }),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'default 50' })),
  strategy: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('sample')], { description: 'default greedy (d2l)' })),
  temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  topK: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }))),
  topP: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 }))),
  seed: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }))),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type GenerateRequest = Static<typeof GenerateRequest>;

export const GenerateResponse = Type.Object({
  text: Type.String(),
  generated: Type.String(),
  checkpointEpoch: Type.Integer(),
  warnings: Type.Array(Type.String()),
});
export type GenerateResponse = Static<typeof GenerateResponse>;
