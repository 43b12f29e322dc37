//go:build !linux

package main

import (
	"errors"
	"time"
)

func adoptOrphans() error        { return errors.New("not on Linux") }
func reapOrphans(time.Duration)  {}
func childrenCPU() time.Duration { return 0 }
