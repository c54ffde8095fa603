-- logs.lua - one line at each log level, then a small result.
log.info("info-marker-1")
log.warn("warn-marker-2")
log.error("error-marker-3")
return { logged = 3 }
