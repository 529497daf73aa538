package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// quietLogger logs only failed and slow statements. Unlike GORM's slog logger it renders a
// statement's SQL only when it will log it: rendering every statement cost several per cent of
// the server's CPU on hot read paths.
type quietLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (l quietLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l quietLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, msg, "args", args)
}

func (l quietLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, msg, "args", args)
}

func (l quietLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, msg, "args", args)
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled):
		sql, rows := fc()
		l.log.DebugContext(ctx, "SQL failed", "err", err, "sql", sql, "rows", rows, "ms", elapsed.Milliseconds())
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow SQL", "sql", sql, "rows", rows, "ms", elapsed.Milliseconds())
	}
}
