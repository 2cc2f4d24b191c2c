// Package fleet is one control plane over many cfkd (REFERENCE §12).
package fleet
