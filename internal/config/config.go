// Package config holds the settings every command shares: where the data
// lives and which database to use.
package config

import (
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
)

// Config is read from flags, then the environment, then defaults.
type Config struct {
	// DataDir holds the SQLite store and anything else harmtrace keeps.
	DataDir string
	// Database is a postgres:// URL; empty means SQLite in DataDir.
	Database string
}

const (
	EnvData     = "HARMTRACE_DATA"
	EnvDatabase = "HARMTRACE_DATABASE"
	DefaultData = "./harmtrace-data"
)

// FromEnv returns the configuration the environment asks for.
func FromEnv() Config {
	c := Config{DataDir: os.Getenv(EnvData), Database: os.Getenv(EnvDatabase)}
	if c.DataDir == "" {
		c.DataDir = DefaultData
	}
	return c
}

// Register adds the global flags to fs, with c's values as defaults.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `dir`ectory (env "+EnvData+")")
	fs.StringVar(&c.Database, "database", c.Database, "PostgreSQL `dsn` postgres://…; default SQLite in the data dir (env "+EnvDatabase+")")
}

// Validate checks the settings.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("--data must not be empty")
	}
	if c.Database != "" {
		u, err := url.Parse(c.Database)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("--database must be a postgres:// URL (leave it empty for SQLite)")
		}
	}
	return nil
}

// DSN is what db.Open needs: the PostgreSQL URL, or the SQLite file path.
func (c Config) DSN() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "harmtrace.db")
}

// Describe names the store without its password, for messages and logs.
func (c Config) Describe() string {
	if c.Database == "" {
		return "sqlite " + c.DSN()
	}
	u, err := url.Parse(c.Database)
	if err != nil {
		return "postgres (unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return "postgres " + u.Redacted()
}
