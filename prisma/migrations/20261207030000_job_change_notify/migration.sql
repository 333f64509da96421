-- The API keeps its answers to polls (a job, its metrics, samples, checkpoints and continuations) in
-- memory and drops a job's answers when anything about the job changes. Every write to a job's row,
-- or to a row that belongs to it, tells the API the job's id on this channel. A job started from
-- another job's checkpoint also names its source, whose list of continuations changed. A transaction
-- delivers its notifications when it commits, each distinct id once.
-- Prisma's migrate with a driver adapter (adapter-pg's executeScript) cuts a script at every semicolon,
-- quoted or not, so the PL/pgSQL bodies below are E'' strings that spell each of theirs as \073.
CREATE FUNCTION "rnnlab_notify_job_row"() RETURNS trigger LANGUAGE plpgsql AS E'DECLARE "row" "jobs"\073
BEGIN
  IF TG_OP = ''DELETE'' THEN "row" := OLD\073 ELSE "row" := NEW\073 END IF\073
  PERFORM pg_notify(''rnnlab_job_changed'', "row"."id")\073
  IF "row"."init_job_id" IS NOT NULL THEN PERFORM pg_notify(''rnnlab_job_changed'', "row"."init_job_id")\073 END IF\073
  RETURN NULL\073
END';

CREATE FUNCTION "rnnlab_notify_job_child"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN
  IF TG_OP = ''DELETE'' THEN PERFORM pg_notify(''rnnlab_job_changed'', OLD."job_id")\073
  ELSE PERFORM pg_notify(''rnnlab_job_changed'', NEW."job_id")\073 END IF\073
  RETURN NULL\073
END';

CREATE TRIGGER "jobs_notify" AFTER INSERT OR UPDATE OR DELETE ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION "rnnlab_notify_job_row"();
CREATE TRIGGER "epoch_metrics_notify" AFTER INSERT OR UPDATE OR DELETE ON "epoch_metrics"
  FOR EACH ROW EXECUTE FUNCTION "rnnlab_notify_job_child"();
CREATE TRIGGER "checkpoints_notify" AFTER INSERT OR UPDATE OR DELETE ON "checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "rnnlab_notify_job_child"();
CREATE TRIGGER "training_samples_notify" AFTER INSERT OR UPDATE OR DELETE ON "training_samples"
  FOR EACH ROW EXECUTE FUNCTION "rnnlab_notify_job_child"();

-- The jobs continued from a job, newest first (GET /v1/jobs/{id}/continuations).
CREATE INDEX "jobs_init_job_id_created_at_id_idx" ON "jobs"("init_job_id", "created_at" DESC, "id" DESC);
