# brain: install R packages into a project library, never the user's or the site library.
# Everything comes in through environment variables (never pasted into R code):
#   BRAIN_R_LIB       the new library folder (empty, created by brain)
#   BRAIN_R_REPOS     repository URLs, one per line
#   BRAIN_R_PACKAGES  package names, one per line (checked against a strict grammar by brain)
# Prints "<package> <version>" for every package the new library holds.
lib <- Sys.getenv("BRAIN_R_LIB")
repos <- strsplit(Sys.getenv("BRAIN_R_REPOS"), "\n", fixed = TRUE)[[1]]
wanted <- strsplit(Sys.getenv("BRAIN_R_PACKAGES"), "\n", fixed = TRUE)[[1]]
wanted <- wanted[nzchar(wanted)]
.libPaths(c(lib, .Library.site))  # dependencies the system holds are not installed again
options(repos = repos, warn = 1, install.packages.compile.from.source = "always")
if (length(wanted) > 0) {
  if (length(repos) == 0) stop("no repository to install from: add env.r.repos")
  install.packages(wanted, lib = lib, repos = repos, type = "source", quiet = TRUE,
                   dependencies = c("Depends", "Imports", "LinkingTo"))
}
missing <- wanted[!file.exists(file.path(lib, wanted, "DESCRIPTION"))]
if (length(missing) > 0) {
  message("not installed: ", paste(missing, collapse = ", "))
  quit(status = 1)
}
held <- installed.packages(lib.loc = lib, noCache = TRUE)
for (i in seq_len(nrow(held))) cat(held[i, "Package"], held[i, "Version"], "\n")
