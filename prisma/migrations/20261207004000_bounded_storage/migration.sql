-- Per-key upload quota: who uploaded each dataset (a digest of the API key, or the client address
-- when the API runs without keys). Older rows have none and count towards no quota.
ALTER TABLE "datasets" ADD COLUMN "owner" TEXT;

-- CreateIndex
CREATE INDEX "datasets_owner_idx" ON "datasets"("owner");

-- Checkpoint retention joins the resolved run config: jobs stored before it get the defaults
-- (training.checkpointKeepLast 3, checkpointKeepEvery 0), which is also what version-1 checkpoints
-- are read with, so a job resumes from its old checkpoint with an equal config.
UPDATE "jobs"
SET "config" = jsonb_set("config", '{training}', '{"checkpointKeepLast": 3, "checkpointKeepEvery": 0}'::jsonb || ("config"->'training'))
WHERE jsonb_typeof("config"->'training') = 'object' AND "config"->'training'->'checkpointKeepLast' IS NULL;
