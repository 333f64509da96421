import { Type, type Static } from 'typebox';
import { Epoch, Strict, Text } from './common.ts';
import { CheckpointSelector } from './export.ts';

export const InfillRequest = Strict({
  text: Text({ minLength: 1, maxLength: 1000, description: "characters of the model's vocabulary (lowercased first for the d2l tokenizer) and at most 32 blanks" }),
  blank: Type.Optional(Type.String({ minLength: 1, maxLength: 2, description: "the one character that marks a blank; default _ ; must not be in the model's vocabulary" })),
  topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'candidates per blank; default 5' })),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type InfillRequest = Static<typeof InfillRequest>;

export const InfillCandidateSchema = Type.Object({ char: Type.String(), probability: Type.Number({ minimum: 0, maximum: 1 }) });

export const InfillResponse = Type.Object({
  text: Type.String({ description: 'the text with every blank filled' }),
  blanks: Type.Array(Type.Object({
    index: Type.Integer({ minimum: 0, maximum: 999, description: "the blank's position in the text, in characters" }),
    char: Type.String({ description: 'what fills it' }),
    candidates: Type.Array(InfillCandidateSchema, { description: 'most likely first: its distribution given every other blank as filled' }),
  })),
  method: Type.Union([Type.Literal('cloze'), Type.Literal('language-model')], {
    description: 'cloze: a cloze-trained model scored each blank from both sides; language-model: the whole text was scored per candidate',
  }),
  checkpointEpoch: Epoch(),
});
export type InfillResponse = Static<typeof InfillResponse>;
