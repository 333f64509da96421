-- Validation also measures top-1 accuracy (of the next character, or of a blank for cloze models).
ALTER TABLE "epoch_metrics" ADD COLUMN "validation_accuracy" DOUBLE PRECISION;
