{
  "targets": [
    {
      "target_name": "procsig",
      "sources": ["native/addon.cc", "native/kill.cc", "native/wait.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fstack-protector-strong", "-Wall", "-Wextra", "-Werror"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/posix.cc", "native/linux.cc", "native/handle_linux.cc", "native/tree_linux.cc", "native/job_linux.cc", "native/job_posix.cc"],
          "defines": ["_GNU_SOURCE", "_FORTIFY_SOURCE=2"]
        }],
        ["OS=='mac'", {
          "sources": ["native/posix.cc", "native/darwin.cc", "native/handle_darwin.cc", "native/tree_darwin.cc", "native/job_darwin.cc", "native/job_posix.cc"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "OTHER_CPLUSPLUSFLAGS": ["-fstack-protector-strong", "-Wall", "-Wextra"]
          }
        }],
        ["OS=='win'", {
          "sources": ["native/win32.cc", "native/handle_win32.cc", "native/tree_win32.cc", "native/job_win32.cc"],
          "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "_HAS_EXCEPTIONS=0"],
          "msvs_settings": {
            "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/guard:cf", "/sdl"] },
            "VCLinkerTool": { "AdditionalOptions": ["/guard:cf"] }
          }
        }]
      ]
    },
    {
      "target_name": "procsig-job-exec",
      "conditions": [
        ["OS=='linux'", {
          "type": "executable",
          "sources": ["native/job_exec_linux.cc", "native/job_watchdog_linux.cc"],
          "defines": ["_GNU_SOURCE", "_FORTIFY_SOURCE=2"],
          "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
          "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fstack-protector-strong", "-Wall", "-Wextra", "-Werror"]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
