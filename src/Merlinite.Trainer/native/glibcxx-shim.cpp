// Provides the one GCC 13 libstdc++ symbol libLibTorchSharp.so needs (GLIBCXX_3.4.32) on systems whose libstdc++ is
// older (Debian 12 ships GCC 12's). GCC 13's <iostream> calls std::ios_base_library_init() from a static initializer
// instead of defining its own `static ios_base::Init`; doing exactly that here keeps std::cout & co. initialized.
// fix-libtorchsharp.sh compiles this next to libLibTorchSharp.so and adds it to that library's DT_NEEDED.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
