-- A job started from another job's checkpoint (continued or fine-tuned) records its source.
ALTER TABLE "jobs" ADD COLUMN "init_job_id" TEXT,
ADD COLUMN "init_epoch" INTEGER;
