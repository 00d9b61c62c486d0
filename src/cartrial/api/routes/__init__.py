"""One router per topic; `cartrial.api.app` mounts them under `/api/v1`."""
