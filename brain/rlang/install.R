# brain: install R packages into a project library, never the user's or the site library.
# Everything comes in through environment variables (never pasted into R code):
#   BRAIN_R_LIB       the new library folder (empty, created by brain)
#   BRAIN_R_REPOS     repository URLs, one per line
#   BRAIN_R_PACKAGES  package names, one per line (checked against a strict grammar by brain)
#   BRAIN_R_PINNED    "name version" lines: exact pins, installed from their own source
#                     tarball when the repositories' indexes offer another version
# Prints "<package> <version>" for every package the new library holds.
lib <- Sys.getenv("BRAIN_R_LIB")
repos <- strsplit(Sys.getenv("BRAIN_R_REPOS"), "\n", fixed = TRUE)[[1]]
wanted <- strsplit(Sys.getenv("BRAIN_R_PACKAGES"), "\n", fixed = TRUE)[[1]]
wanted <- wanted[nzchar(wanted)]
.libPaths(c(lib, .Library.site))  # dependencies the system holds are not installed again
options(repos = repos, warn = 1, install.packages.compile.from.source = "always")
pinned <- strsplit(Sys.getenv("BRAIN_R_PINNED"), "\n", fixed = TRUE)[[1]]
pinned <- pinned[nzchar(pinned)]
if (length(wanted) > 0 && length(repos) == 0) {
  stop("no repository to install from: add env.r.repos")
}
# A pin the repositories' indexes do not offer is installed from its own tarball below.
offered <- if (length(repos) > 0) available.packages(repos = repos, type = "source") else NULL
elsewhere <- vapply(pinned, function(line) {
  name <- sub(" .*$", "", line)
  !(name %in% rownames(offered)) || offered[name, "Version"] != sub("^[^ ]* ", "", line)
}, TRUE)
first <- setdiff(wanted, sub(" .*$", "", pinned[elsewhere]))
if (length(first) > 0) {
  install.packages(first, lib = lib, repos = repos, type = "source", quiet = TRUE,
                   dependencies = c("Depends", "Imports", "LinkingTo"))
}
for (line in pinned) {
  name <- sub(" .*$", "", line)
  version <- sub("^[^ ]* ", "", line)
  here <- file.path(lib, name, "DESCRIPTION")
  if (file.exists(here) && read.dcf(here, "Version")[1, 1] == version) next
  tarball <- paste0(name, "_", version, ".tar.gz")
  got <- FALSE
  target <- file.path(tempdir(), tarball)
  for (contrib in contrib.url(repos, type = "source")) {
    for (url in c(file.path(contrib, tarball), file.path(contrib, "Archive", name, tarball))) {
      got <- tryCatch(download.file(url, target, quiet = TRUE, mode = "wb") == 0,
                      error = function(e) FALSE, warning = function(w) FALSE)
      if (got) break
    }
    if (got) break
  }
  if (got) install.packages(target, lib = lib, repos = NULL, type = "source", quiet = TRUE)
}
missing <- wanted[!file.exists(file.path(lib, wanted, "DESCRIPTION"))]
if (length(missing) > 0) {
  message("not installed: ", paste(missing, collapse = ", "))
  quit(status = 1)
}
held <- installed.packages(lib.loc = lib, noCache = TRUE)
for (i in seq_len(nrow(held))) cat(held[i, "Package"], held[i, "Version"], "\n")
