"""Remote work over SSH: remotes kept in user settings, rsync push/pull, runs and JupyterLab
on another machine. Every ssh and rsync argv is built here and run through brain.process."""
