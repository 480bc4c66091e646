//go:build race

package kafkatest

const raceEnabled = true
