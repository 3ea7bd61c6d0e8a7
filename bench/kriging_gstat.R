# R gstat on the kriging benchmark input (bench/kriging.sh): local ordinary kriging, nmax = k,
# the same spherical model (psill 0.8, range 1500, nugget 0.05). Prints one JSON line.
# A third argument `block` krige blocks the size of the target grid cell, discretised 2 x 2.
suppressMessages(library(gstat))
args <- commandArgs(trailingOnly = TRUE)
d <- args[1]
k <- as.integer(args[2])
s <- read.csv(file.path(d, "samples.csv"))
t <- read.csv(file.path(d, "targets.csv"))
m <- vgm(psill = 0.8, model = "Sph", range = 1500, nugget = 0.05)
case <- if (length(args) >= 3) args[3] else "2d"
cell <- 10000 / ceiling(sqrt(nrow(t)))
started <- Sys.time()
if (case == "block") {
  nodes <- data.frame(x = c(-1, 1, -1, 1) * cell / 4, y = c(-1, -1, 1, 1) * cell / 4)
  r <- krige(v ~ 1, locations = ~ x + y, data = s, newdata = t, model = m, nmax = k,
             block = nodes, debug.level = 0)
} else {
  r <- krige(v ~ 1, locations = ~ x + y, data = s, newdata = t, model = m, nmax = k, debug.level = 0)
}
seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
cat(sprintf('{"engine":"R gstat %s","case":"%s","targets":%d,"seconds":%.3f,"mean_estimate":%.6f}\n',
            as.character(packageVersion("gstat")), case, nrow(t), seconds, mean(r$var1.pred)))
