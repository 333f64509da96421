import { Type, type Static } from 'typebox';
import { Epoch, INT32_MAX, Nullable, Strict, Text } from './common.ts';
import { CheckpointSelector } from './export.ts';

/** The most texts one generation request asks for (`n`): they run as one batch. */
export const MAX_SAMPLES = 16;

export const GenerateRequest = Strict({
  prefix: Text({ minLength: 1, maxLength: 1000, description: 'preprocessed like the corpus; must keep at least one character' }),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'default 50' })),
  strategy: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('sample')], { description: 'default greedy (d2l)' })),
  temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  topK: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }))),
  topP: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 }))),
  seed: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: INT32_MAX }))),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SAMPLES, description: 'texts to generate from the prefix, as one batch; default 1' })),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type GenerateRequest = Static<typeof GenerateRequest>;

export const GeneratedText = Type.Object({
  text: Type.String({ description: 'the preprocessed prefix followed by the generated characters' }),
  generated: Type.String(),
});

export const GenerateResponse = Type.Object({
  text: Type.String({ description: 'the first text (of `n`)' }),
  generated: Type.String(),
  samples: Type.Array(GeneratedText, { description: 'every text asked for (`n`), the first one included' }),
  checkpointEpoch: Epoch(),
  warnings: Type.Array(Type.String()),
});
export type GenerateResponse = Static<typeof GenerateResponse>;
