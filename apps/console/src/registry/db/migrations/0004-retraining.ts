/**
 * Retraining requests: what a reviewer decides when a drift review says a version no longer fits its
 * traffic. Write-once, like every decision: a request is answered by a new version, never edited.
 */
export const m0004 = {
  version: 4,
  name: 'retraining',
  up: `
CREATE TABLE retraining_requests (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES versions(id),
  review_id INTEGER NOT NULL REFERENCES reviews(id),
  reason TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  requested_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;
CREATE UNIQUE INDEX retraining_once_per_review ON retraining_requests(review_id);
CREATE TRIGGER retraining_requests_no_update BEFORE UPDATE ON retraining_requests
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a retraining request is never edited'); END;
CREATE TRIGGER retraining_requests_no_delete BEFORE DELETE ON retraining_requests
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a retraining request is never deleted'); END;
CREATE TRIGGER retraining_requests_no_replace BEFORE INSERT ON retraining_requests WHEN EXISTS (SELECT 1 FROM retraining_requests WHERE id = NEW.id OR review_id = NEW.review_id)
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: retraining_requests rows are never replaced'); END;
`,
};
