-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "job_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "jobs" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "arch" TEXT NOT NULL,
    "dataset" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "epochs" INTEGER NOT NULL,
    "train_perplexity" DOUBLE PRECISION,
    "best_train_perplexity" DOUBLE PRECISION,
    "validation_perplexity" DOUBLE PRECISION,
    "tokens_per_second" DOUBLE PRECISION,
    "backend" TEXT,
    "device" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 5,
    "worker_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "epoch_metrics" (
    "job_id" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "train_perplexity" DOUBLE PRECISION NOT NULL,
    "validation_perplexity" DOUBLE PRECISION,
    "tokens_per_second" DOUBLE PRECISION NOT NULL,
    "grad_norm" DOUBLE PRECISION NOT NULL,
    "learning_rate" DOUBLE PRECISION NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "epoch_metrics_pkey" PRIMARY KEY ("job_id","epoch")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "id" TEXT NOT NULL,
    "job_id" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "train_perplexity" DOUBLE PRECISION NOT NULL,
    "validation_perplexity" DOUBLE PRECISION,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "training_samples" (
    "id" TEXT NOT NULL,
    "job_id" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "prefix" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "training_samples_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "datasets" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "text" TEXT,
    "source_ref" TEXT,
    "chars" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "jobs_idempotency_key_key" ON "jobs"("idempotency_key");

-- CreateIndex
CREATE INDEX "jobs_created_at_id_idx" ON "jobs"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "jobs_status_created_at_id_idx" ON "jobs"("status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "checkpoints_job_id_train_perplexity_idx" ON "checkpoints"("job_id", "train_perplexity");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoints_job_id_epoch_key" ON "checkpoints"("job_id", "epoch");

-- CreateIndex
CREATE UNIQUE INDEX "training_samples_job_id_epoch_prefix_key" ON "training_samples"("job_id", "epoch", "prefix");

-- CreateIndex
CREATE INDEX "datasets_sha256_idx" ON "datasets"("sha256");

-- CreateIndex
CREATE INDEX "datasets_created_at_id_idx" ON "datasets"("created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "epoch_metrics" ADD CONSTRAINT "epoch_metrics_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "training_samples" ADD CONSTRAINT "training_samples_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
