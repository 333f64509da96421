-- The GRU got a second variant (model.gruResetGate); every config stored before means d2l's, 'before'.
UPDATE "jobs"
SET "config" = jsonb_set("config", '{model,gruResetGate}', '"before"')
WHERE NOT ("config"->'model' ? 'gruResetGate');
