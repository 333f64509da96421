-- Synchronous successive halving: a trial pauses at its rung (status paused) until its study decides.
ALTER TYPE "job_status" ADD VALUE 'paused' BEFORE 'succeeded';

ALTER TABLE "jobs" ADD COLUMN "epoch_limit" INTEGER;
