"""What booking, contracts and the platform all read: the Proposal, Mission and EstablishmentBlock
models, the half-day slot model, the loaded partition's record, the eligibility rules and the
timetable of urgent waves. Imports nothing else of missions but the pure engine."""
