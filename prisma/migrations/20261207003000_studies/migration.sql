-- AlterEnum
ALTER TYPE "job_status" ADD VALUE 'pruned';

-- CreateEnum
CREATE TYPE "study_state" AS ENUM ('running', 'completed', 'cancelled', 'failed');

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "prune_requested" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "study_id" TEXT,
ADD COLUMN     "trial_index" INTEGER,
ADD COLUMN     "trial_params" JSONB;

-- CreateTable
CREATE TABLE "studies" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "dataset" TEXT NOT NULL,
    "state" "study_state" NOT NULL DEFAULT 'running',
    "spec" JSONB NOT NULL,
    "points" JSONB NOT NULL,
    "objective" TEXT NOT NULL,
    "submitted" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "studies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "jobs_study_id_trial_index_key" ON "jobs"("study_id", "trial_index");

-- CreateIndex
CREATE INDEX "studies_created_at_id_idx" ON "studies"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "studies_state_idx" ON "studies"("state");

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_study_id_fkey" FOREIGN KEY ("study_id") REFERENCES "studies"("id") ON DELETE CASCADE ON UPDATE CASCADE;
