# brain: index the source packages of a CRAN-like repository folder (BRAIN_R_CONTRIB).
contrib <- Sys.getenv("BRAIN_R_CONTRIB")
count <- tools::write_PACKAGES(contrib, type = "source", rds_compress = "xz")
cat(count, "\n")
