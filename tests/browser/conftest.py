def pytest_configure(config):
    config.addinivalue_line("markers", "browser: opens notebooks in JupyterLab in headless Chromium "
                                       "(runs with NBKIT_BROWSER=1; make browser)")
