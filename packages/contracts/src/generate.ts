import { Type, type Static } from 'typebox';
import { Epoch, INT32_MAX, Nullable, Strict, Text } from './common.ts';
import { CheckpointSelector } from './export.ts';

export const GenerateRequest = Strict({
  prefix: Text({ minLength: 1, maxLength: 1000, description: 'preprocessed like the corpus; must keep at least one character' }),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'default 50' })),
  strategy: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('sample')], { description: 'default greedy (d2l)' })),
  temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  topK: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }))),
  topP: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 }))),
  seed: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: INT32_MAX }))),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type GenerateRequest = Static<typeof GenerateRequest>;

export const GenerateResponse = Type.Object({
  text: Type.String(),
  generated: Type.String(),
  checkpointEpoch: Epoch(),
  warnings: Type.Array(Type.String()),
});
export type GenerateResponse = Static<typeof GenerateResponse>;
