"""Alert statistics for the work-environment group (AMR/MED): per month and unit, drills never count."""
