-- The GRU got a second variant (model.gruResetGate): every config stored before means the d2l variant, "before".
UPDATE "jobs"
SET "config" = jsonb_set("config", '{model,gruResetGate}', '"before"')
WHERE "config"->'model'->'gruResetGate' IS NULL;
