"""BPMN process definitions and the adapter that runs them."""
