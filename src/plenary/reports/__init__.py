"""The report of the consultation (R26): it reads the registration, the floor and the
outcomes, so it sits above all three. No models."""
