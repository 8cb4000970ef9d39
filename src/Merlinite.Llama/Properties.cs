using System.Runtime.CompilerServices;

// Structs that cross the boundary hold C `bool` fields (1 byte). With runtime marshalling disabled they are passed
// exactly as laid out in memory, which is what [LibraryImport] needs for by-value structs with bool fields.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("Merlinite.Llama.Tests")]
