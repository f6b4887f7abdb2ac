// Package noregistry holds no code: its tests run in a binary that imports
// the model packages (models, models/onnx) and no backend, to check that
// importing them registers no backend and that a program in that state gets
// errors naming the missing import.
package noregistry
