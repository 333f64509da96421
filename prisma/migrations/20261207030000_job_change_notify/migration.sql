-- The API keeps its answers to polls (a job, its metrics, samples, checkpoints and continuations) in
-- memory and drops a job's answers when anything about the job changes. Every write to a job's row,
-- or to a row that belongs to it, tells the API the job's id on this channel; a job started from
-- another job's checkpoint also names its source, whose list of continuations changed. A transaction
-- delivers its notifications when it commits, each distinct id once.
CREATE FUNCTION "rnnlab_notify_job_row"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "row" "jobs";
BEGIN
  IF TG_OP = 'DELETE' THEN "row" := OLD; ELSE "row" := NEW; END IF;
  PERFORM pg_notify('rnnlab_job_changed', "row"."id");
  IF "row"."init_job_id" IS NOT NULL THEN PERFORM pg_notify('rnnlab_job_changed', "row"."init_job_id"); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "rnnlab_notify_job_child"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('rnnlab_job_changed', OLD."job_id");
  ELSE
    PERFORM pg_notify('rnnlab_job_changed', NEW."job_id");
  END IF;
  RETURN NULL;
END $$;

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
