"""Operations: health checks, watchdog liveness and Prometheus metrics."""
