"""Task forms: one JSON Schema (+ UI schema) per BPMN user task, and their validation."""
