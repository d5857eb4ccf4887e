import { createApp } from 'vue';
import 'tier-assist/tier-assist.js';
import App from './App.vue';

createApp(App).mount('#app');
