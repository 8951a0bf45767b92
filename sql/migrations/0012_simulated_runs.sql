-- Runs written from the built-in API simulator are marked in the ledger, as they are in the
-- lake (`simulated` in the run manifest): the bronze rows of a simulated extraction, and the
-- load rows (`load` and per target) that loaded simulated runs. A real warehouse should never
-- show true here; `skyfit load` refuses simulated runs on a configured database unless asked.

ALTER TABLE meta.pipeline_runs ADD COLUMN IF NOT EXISTS simulated BOOLEAN NOT NULL DEFAULT false;

COMMENT ON COLUMN meta.pipeline_runs.simulated IS
    'True when the row is about records from the built-in API simulator, not a real API: an extraction the simulator served, or a load that loaded such runs.';
