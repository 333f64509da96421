// What a model is trained to predict, in a module with no schema code so the dashboard can import the list.
// next: the character after each position (d2l's language model; the default).
// cloze: each position's own character from both sides of it, never from itself (bidirectional only).
export const TRAINING_OBJECTIVES = ['next', 'cloze'] as const;
export type TrainingObjective = (typeof TRAINING_OBJECTIVES)[number];
/** Architectures that read the sequence in both directions: the only ones a cloze objective fits. */
export const CLOZE_ARCHS = ['bidirectional'] as const;
