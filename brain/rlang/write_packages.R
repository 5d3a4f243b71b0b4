# brain: index the source packages of a CRAN-like repository folder (BRAIN_R_CONTRIB).
contrib <- Sys.getenv("BRAIN_R_CONTRIB")
# Every version stays listed (R installs the newest; `==` pins and locks find the others).
count <- tools::write_PACKAGES(contrib, type = "source", rds_compress = "xz",
                               latestOnly = FALSE)
cat(count, "\n")
