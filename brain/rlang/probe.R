# brain: what the R on PATH is, and which packages its system libraries hold.
# Prints "R <version>" then one "<package> <version>" line per installed package.
# Started with R_LIBS/R_LIBS_USER pointing nowhere useful, so only site and base count.
cat("R", paste(R.version$major, R.version$minor, sep = "."), "\n")
found <- installed.packages(lib.loc = c(.Library.site, .Library), noCache = TRUE)
for (i in seq_len(nrow(found))) cat(found[i, "Package"], found[i, "Version"], "\n")
