-- Training got an objective (training.objective): every config stored before trained the next character.
UPDATE "jobs"
SET "config" = jsonb_set("config", '{training,objective}', '"next"')
WHERE jsonb_typeof("config"->'training') = 'object' AND "config"->'training'->'objective' IS NULL;
