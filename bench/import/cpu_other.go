//go:build !unix

package main

import (
	"os"
	"time"
)

func cpuTime() time.Duration { return 0 }

func childMaxRSS(*os.ProcessState) int64 { return 0 }
